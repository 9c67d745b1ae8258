//! Monthly cost estimate from `prices.yaml`.
