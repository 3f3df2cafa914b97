"""Quickstart: a synthetic two-person scene, the solver's passes, and their metrics.

Run: .venv/bin/python examples/quickstart.py
"""

import slahmr_opt
from slahmr_opt.eval.evaluate import evaluate_estimate
from slahmr_opt.eval.metrics import format_table
from slahmr_opt.solver.world_init import naive_composition
from slahmr_opt.synth.scene import make_scene

body = slahmr_opt.BodyModel.standin()  # or BodyModel.from_file("SMPL_NEUTRAL.pkl")
scene, gt = make_scene(num_people=2, num_frames=150, preset="medium", camera="orbit", seed=1)
result = slahmr_opt.solve(scene, config="fast", body=body)

rows = {}
people, alpha = naive_composition(scene, body, alpha="median")
rows["naive"] = evaluate_estimate(people, gt, body, alpha=alpha, cameras=scene.cameras).summary()
for name in ("root", "smooth"):
    est = result.to_estimate(name)
    rows[name] = evaluate_estimate(
        est.people, gt, body, alpha=est.alpha, cameras=est.cameras
    ).summary()
print(f"true α = {gt.alpha:.3f}, solver α = {result.alpha:.3f}, seconds: {result.timings}")
print(format_table(rows))
