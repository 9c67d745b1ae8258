//! Integration tests: the real server on an ephemeral port against a temporary data dir,
//! driven over HTTP as a browser or script would. One binary, so linking stays fast.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access_edges;
mod api;
mod app_gateway;
mod app_gateway_more;
mod az_cli;
mod azure;
mod browser;
mod browser_admin;
mod browser_fix;
mod browser_network;
mod certificate;
mod cli;
mod cluster;
mod console_vnet;
mod crash;
// Shared with the engine benchmark (section 7), which runs the whole matrix and uses all of it.
#[allow(dead_code)]
#[path = "../../benches/engine/crash_matrix.rs"]
mod crash_matrix;
mod disk_full;
mod dockerfile;
mod engine;
mod entra;
mod fix_resume;
mod helpers;
mod history;
mod history_log;
mod input_limits;
mod jumphost_nat;
mod katonic_domain;
mod layers;
mod leaks;
mod lease;
mod manifests;
mod next_steps;
mod ops;
mod peering;
mod placement;
mod preflight_on_demand;
mod readme;
mod regain_access;
mod run_command;
mod security;
mod settings;
mod sse;
mod static_files;
mod store;
mod teardown;
mod vendor_pools;
mod wizard;
mod wizard_guide;
