"""Readers and writers, one module per upstream tool family.

Shared: ``common`` (checked loading through :mod:`slahmr_opt.safe_load`, pickles behind
``trust_pickle``, frame names), ``keypoints`` (joint layouts, keypoint arrays, the policy for
confidences above 1), ``tracks`` (per-person observations, association of untracked keypoints),
``hmr`` (HMR's crop camera and rotations), ``intrinsics`` (calibration files, distortion),
``cameras`` (one entry point for every camera format, frame timing).

Per tool: ``openpose``, ``wham_inputs``, ``gvhmr_inputs``, ``phalp`` (PHALP / 4D-Humans),
``slahmr_layout`` (the original SLAHMR data layout), ``npz_tracks``, ``dpvo`` (DPVO / DROID-SLAM),
``tum``, ``megasam``.

Folders: ``layout`` (where each tool puts its files: layout discovery and format sniffing, in one
place), ``manifest``, ``gather`` (reading everything a folder holds), ``selection`` (shots, frame
ranges, track selection), ``folder`` (:func:`~slahmr_opt.io.folder.load_scene_folder`),
``scene_folder`` (our scene folder).

Results: ``results`` (writing a result folder), ``result_reader`` (reading it), ``amass``
(AMASS / HuMoR person files), ``slahmr_results`` (the original SLAHMR's output layout).
"""
