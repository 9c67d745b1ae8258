//! The plan as text for `katonic-console plan`.

use crate::app::review::Reviewed;
use crate::format::{duration, money};
use katonic_domain::plan::InstallPlan;
use std::io::{self, Write};

/// The whole plan: header, steps, resources, capacity, cost and warnings.
pub fn write(out: &mut impl Write, reviewed: &Reviewed) -> io::Result<()> {
    let plan = &reviewed.plan;
    let spec = &reviewed.spec;
    writeln!(
        out,
        "Install {} -> {} / {} / {} ({})",
        spec.name,
        spec.azure.subscription_id,
        spec.azure.resource_group,
        spec.cluster.name,
        spec.azure.location
    )?;
    writeln!(
        out,
        "Expected duration {} on the critical path ({} one by one); cost {} - {} per month\n",
        duration(plan.critical_path_secs),
        duration(plan.sequential_secs),
        money(&plan.cost.currency, plan.cost.monthly_min),
        money(&plan.cost.currency, plan.cost.monthly_max),
    )?;
    steps(out, plan)?;
    resources(out, plan)?;
    capacity(out, plan)?;
    cost(out, plan)?;
    if !plan.warnings.is_empty() {
        writeln!(out, "\nWarnings:")?;
        for w in &plan.warnings {
            writeln!(out, "  {}: {} ({})", w.field, w.message, w.suggestion)?;
        }
    }
    Ok(())
}

/// Every step with its expected duration, critical-path mark and dependencies.
fn steps(out: &mut impl Write, plan: &InstallPlan) -> io::Result<()> {
    writeln!(out, "Steps:")?;
    for (i, s) in plan.steps.iter().enumerate() {
        let deps: Vec<_> = s.depends_on.iter().map(|d| d.as_str()).collect();
        writeln!(
            out,
            "  {:>2}. {:<22} {:>8}{}  {}{}",
            i + 1,
            s.id.as_str(),
            duration(s.expected_secs),
            if s.on_critical_path { " *" } else { "  " },
            s.title,
            if deps.is_empty() {
                String::new()
            } else {
                format!("  (after {})", deps.join(", "))
            },
        )?;
    }
    writeln!(out, "  (* = critical path)")?;
    Ok(())
}

/// What the install creates, with counts.
fn resources(out: &mut impl Write, plan: &InstallPlan) -> io::Result<()> {
    writeln!(out, "\nResources:")?;
    for r in &plan.resources {
        let count = if r.count_min == r.count_max {
            r.count_min.to_string()
        } else {
            format!("{}-{}", r.count_min, r.count_max)
        };
        writeln!(
            out,
            "  {:>5}  {:<28} {}  {}",
            count, r.title, r.name, r.note
        )?;
    }
    Ok(())
}

/// The AKS subnet's address budget and the vCPU quota at maximum node counts.
fn capacity(out: &mut impl Write, plan: &InstallPlan) -> io::Result<()> {
    let b = &plan.ip_budget;
    writeln!(
        out,
        "\nAKS subnet {} ({}): needs {} of {} usable addresses",
        b.subnet, b.plugin, b.needed, b.usable
    )?;
    writeln!(out, "\nvCPU quota at max:")?;
    for q in &plan.quota {
        writeln!(
            out,
            "  {:<32} {:>5}  ({})",
            q.family,
            q.vcpus_at_max,
            q.vm_sizes.join(", ")
        )?;
    }
    Ok(())
}

/// The monthly cost, line by line.
fn cost(out: &mut impl Write, plan: &InstallPlan) -> io::Result<()> {
    writeln!(
        out,
        "\nMonthly cost ({}, prices of {}):",
        plan.cost.basis, plan.cost.prices_as_of
    )?;
    for l in &plan.cost.lines {
        writeln!(
            out,
            "  {:<44} {:>10} {:>10}  {}",
            l.item,
            money(&plan.cost.currency, l.monthly_min),
            money(&plan.cost.currency, l.monthly_max),
            l.unit_price
        )?;
    }
    Ok(())
}
