"""Readers and writers, one module per upstream tool family.

Shared: ``common`` (checked loading, pickles behind ``trust_pickle``, frame names),
``keypoints`` (joint layouts, keypoint arrays), ``tracks`` (per-person observations),
``intrinsics`` (calibration files), ``cameras`` (one entry point for every camera format).

Per tool: ``openpose``, ``wham_inputs``, ``gvhmr_inputs``, ``phalp`` (PHALP / 4D-Humans),
``slahmr_layout`` (the original SLAHMR data layout), ``npz_tracks``, ``dpvo`` (DPVO / DROID-SLAM),
``tum``, ``megasam``.

Folders: ``layout`` (where each tool puts its files: layout discovery and format sniffing, in one
place), ``manifest``, ``selection`` (shots, frame ranges, track selection), ``folder``
(:func:`~slahmr_opt.io.folder.load_scene_folder`), ``scene_folder`` (our scene folder).

Results: ``results`` (the result folder).
"""
