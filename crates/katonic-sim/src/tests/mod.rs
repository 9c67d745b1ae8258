//! Tests of the simulator over real HTTPS with reqwest.

mod addresses;
mod aks;
mod app_gateway;
mod app_gateway_health;
mod dns;
mod entra;
mod faults;
mod harness;
mod install;
mod kube;
mod nat_gateway;
mod network;
mod others;
mod placement;
mod pools;
mod public_ip;
mod replay;
mod run_command;
mod stage1;
