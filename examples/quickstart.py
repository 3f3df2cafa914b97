"""Quickstart: a synthetic two-person scene, all three solver passes, metrics, a result folder.

Run: .venv/bin/python examples/quickstart.py
"""

import slahmr_opt
from slahmr_opt.eval.evaluate import evaluate_estimate
from slahmr_opt.eval.metrics import format_table
from slahmr_opt.synth.scene import make_scene
from slahmr_opt.vis.trajectory import trajectory_plotter

body = slahmr_opt.BodyModel.standin()  # or BodyModel.from_file("SMPL_NEUTRAL.pkl")
scene, gt = make_scene(num_people=2, num_frames=150, preset="medium", camera="orbit", seed=1)
result = slahmr_opt.solve(scene, config="fast", body=body)  # prior=None: the shipped prior

rows = {}
for name in ("init", "root", "smooth", "motion"):  # init = the naive composition at α = 1
    est = result.to_estimate(name)
    report = evaluate_estimate(
        est.people, gt, body, alpha=est.alpha, cameras=est.cameras, floor=est.floor
    )
    rows[name] = report.summary()
print(f"true α = {gt.alpha:.3f}, solver α = {result.alpha:.3f}, floor = {result.floor}")
print(format_table(rows))
plot = trajectory_plotter(body=body, ground_truth=gt)  # top-down picture, truth dashed
slahmr_opt.save_result(result, "runs/quickstart", scene=scene, body=body, plot=plot)
loaded = slahmr_opt.load_result("runs/quickstart")  # reload: estimate, passes, floor frame
print("wrote runs/quickstart:", sorted(loaded.passes), "people:", len(loaded.estimate.people))
