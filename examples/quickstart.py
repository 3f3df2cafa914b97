"""Quickstart: a synthetic two-person scene, the naive world composition, and its metrics.

Run: .venv/bin/python examples/quickstart.py
"""

from slahmr_opt.body import BodyModel
from slahmr_opt.eval.evaluate import evaluate_estimate
from slahmr_opt.eval.metrics import format_table
from slahmr_opt.solver.world_init import naive_composition
from slahmr_opt.synth.scene import make_scene

body = BodyModel.standin()  # or BodyModel.from_file("SMPL_NEUTRAL.pkl")
scene, gt = make_scene(
    num_people=2, num_frames=150, preset="medium", camera="orbit", seed=1, body=body
)
people, alpha = naive_composition(scene, body, alpha="median")
report = evaluate_estimate(people, gt, body, alpha=alpha, cameras=scene.cameras)
print(f"true α = {gt.alpha:.3f}, estimated α = {alpha:.3f}")
print(format_table({"naive composition": report.summary()}))
