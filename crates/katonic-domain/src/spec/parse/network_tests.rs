//! Tests of the network section's helpers: free blocks, max pods, suggestions.

use super::*;

fn c(s: &str) -> Cidr {
    Cidr::parse(s).unwrap()
}

#[test]
fn free_blocks() {
    let v = c("10.20.0.0/16");
    assert_eq!(
        free_block(&v, 29, &[c("10.20.0.0/26")]),
        Some(c("10.20.0.64/29"))
    );
    assert_eq!(free_block(&v, 26, &[]), Some(c("10.20.0.0/26")));
    assert_eq!(free_block(&v, 15, &[]), None);
    assert_eq!(
        free_block(&c("10.20.0.0/29"), 29, &[c("10.20.0.0/29")]),
        None
    );
}

#[test]
fn outside_suggestions() {
    let fix = outside_fix(&[c("172.16.0.0/12")], "172.16.0.0/16");
    assert!(fix.ends_with("e.g. 192.168.0.0/16"), "{fix}");
}

#[test]
fn max_pods_range() {
    assert_eq!(max_pods_in_range(10), Ok(10));
    assert_eq!(max_pods_in_range(250), Ok(250));
    assert_eq!(max_pods_in_range(9).unwrap_err().rule, "max-pods.range");
    assert_eq!(max_pods_in_range(251).unwrap_err().rule, "max-pods.range");
}
