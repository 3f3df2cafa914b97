"""Metrics (WHAM/GVHMR protocol), evaluation of estimates and metric tables (the benchmark runner
is an application: slahmr_opt.apps.benchmark)."""
