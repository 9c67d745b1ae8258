//! This install's topology as an SVG picture: the VNet and its subnets with their CIDRs, the
//! private cluster with its pools (sizes, counts, zones), the ingress load balancer (internal or
//! external) with the DNS names pointing at it, storage, registry and the jumphost. Like the
//! vendor guide's architecture diagrams, but of the admin's own answers. Pure: the review page
//! redraws it whenever the answers change.
//!
//! Hand-written SVG rather than a charting crate: the picture is a few boxes and lines whose
//! positions follow from the spec, and the output must carry no inline style or script (the
//! console's CSP forbids them), which the page's stylesheet then styles by class.

use std::fmt::Write;

use super::names;
use crate::spec::{ClusterMode, InstallSpec, LbMode, NodeScale};

const WIDTH: u32 = 1000;

/// The picture, as an `<svg>` element to embed in a page.
pub fn svg(spec: &InstallSpec) -> String {
    let mut c = Canvas::default();
    let layout = Layout::of(spec);
    draw_title(&mut c, spec);
    draw_vnet(&mut c, spec, &layout);
    draw_cluster(&mut c, spec, &layout);
    let lb_anchor = draw_load_balancer(&mut c, spec);
    draw_jumphost(&mut c, spec, &layout);
    let dns_bottom = draw_dns(&mut c, spec, lb_anchor);
    let store_y = dns_bottom + 16;
    draw_storage(&mut c, spec, store_y);
    let reg_y = draw_registry(&mut c, spec, &layout, store_y);
    let height = (40 + layout.vnet_h + 20).max(reg_y + 70);
    c.finish(height)
}

/// The left column's boxes grow with the number of node pools.
struct Layout {
    pool_labels: Vec<String>,
    cluster_y: u32,
    cluster_h: u32,
    aks_subnet_h: u32,
    vnet_h: u32,
}

impl Layout {
    fn of(spec: &InstallSpec) -> Layout {
        let pool_labels: Vec<String> = spec
            .cluster
            .node_pools
            .iter()
            .map(|p| {
                let scale = match p.scale {
                    NodeScale::Fixed(n) => format!("{n} node{}", if n == 1 { "" } else { "s" }),
                    NodeScale::Auto { min, max } => format!("{min}–{max} nodes"),
                };
                format!("{} ({}) · {} · {scale}", p.name, p.role.as_str(), p.vm_size)
            })
            .collect();
        let pool_rows = u32::try_from(pool_labels.len()).unwrap_or(3);
        let cluster_h = 100 + 22 * pool_rows;
        let aks_subnet_h = cluster_h + 70;
        Layout {
            pool_labels,
            cluster_y: 108,
            cluster_h,
            aks_subnet_h,
            vnet_h: aks_subnet_h + 170,
        }
    }

    fn cluster_bottom(&self) -> u32 {
        self.cluster_y + self.cluster_h
    }
}

fn draw_title(c: &mut Canvas, spec: &InstallSpec) {
    c.text(
        20,
        24,
        "title",
        &format!(
            "Azure {} · subscription {} · resource group {}",
            spec.azure.location, spec.azure.subscription_id, spec.azure.resource_group
        ),
    );
}

/// The VNet, with the AKS subnet (the jumphost subnet is drawn with the jumphost).
fn draw_vnet(c: &mut Canvas, spec: &InstallSpec, layout: &Layout) {
    let net = &spec.cluster.network;
    let existing = net.existing_vnet.is_some();
    c.rect(20, 40, 640, layout.vnet_h, "vnet");
    c.text(
        34,
        62,
        "label",
        &format!(
            "VNet {} · {}{}",
            names::vnet(spec),
            net.vnet_cidr,
            if existing {
                " (existing, not modified)"
            } else {
                ""
            }
        ),
    );
    c.rect(40, 76, 600, layout.aks_subnet_h, "subnet");
    c.text(
        54,
        96,
        "label",
        &format!(
            "Subnet {} · {}",
            names::aks_subnet(spec),
            net.aks_subnet_cidr
        ),
    );
}

/// The private cluster and its pools.
fn draw_cluster(c: &mut Canvas, spec: &InstallSpec, layout: &Layout) {
    let net = &spec.cluster.network;
    let cluster_y = layout.cluster_y;
    c.rect(56, cluster_y, 380, layout.cluster_h, "cluster");
    let version = spec
        .cluster
        .kubernetes_version
        .as_ref()
        .map_or_else(|| "newest ≥ 1.29".to_string(), ToString::to_string);
    c.text(
        70,
        cluster_y + 22,
        "label",
        &format!(
            "AKS {} (private){}",
            spec.cluster.name,
            if spec.cluster.mode == ClusterMode::Existing {
                " (existing)"
            } else {
                ""
            }
        ),
    );
    let zones = spec.cluster.zones.to_strings().join(", ");
    c.text(
        70,
        cluster_y + 42,
        "note",
        &format!("Kubernetes {version} · private API endpoint · zones {zones}"),
    );
    let mut y = cluster_y + 52;
    for pool in &layout.pool_labels {
        c.rect(70, y, 352, 18, "pool");
        c.text(78, y + 13, "small", pool);
        y += 22;
    }
    let pods = net
        .pod_range()
        .map_or_else(|| "pods in the subnet".to_string(), |p| format!("pods {p}"));
    c.text(
        70,
        y + 16,
        "note",
        &format!(
            "{pods} · services {} · DNS {}",
            net.service_cidr, net.dns_service_ip
        ),
    );
}

/// The ingress load balancer: inside the subnet when internal, outside with its public IP
/// when external. Returns where the DNS records' line points.
fn draw_load_balancer(c: &mut Canvas, spec: &InstallSpec) -> (u32, u32) {
    if let Some(g) = super::GatewayPlan::from_spec(spec) {
        return draw_gateway(c, &g);
    }
    let anchor = match spec.ingress.load_balancer {
        LbMode::Internal => {
            c.rect(450, 130, 176, 70, "lb");
            c.text(460, 152, "label", "Internal load balancer");
            let ip = spec.ingress.static_ip.map_or_else(
                || "address from the subnet".to_string(),
                |ip| ip.to_string(),
            );
            c.text(460, 172, "small", &ip);
            c.text(460, 190, "small", "ingress · HTTPS 443");
            (626, 165)
        }
        LbMode::External => {
            c.rect(680, 40, 300, 64, "lb public");
            c.text(692, 62, "label", "External load balancer");
            c.text(
                692,
                82,
                "small",
                &format!("static public IP {}", names::ingress_public_ip(spec)),
            );
            c.text(692, 98, "small", "ingress · HTTPS 443");
            (830, 104)
        }
    };
    match spec.ingress.load_balancer {
        LbMode::Internal => c.line(436, 165, 450, 165, "link"),
        LbMode::External => c.line(436, 150, 680, 72, "link"),
    }
    anchor
}

/// Browser → Application Gateway (TLS ends there) → the cluster's internal load balancer →
/// ingress. The gateway is drawn in the right column, with its subnet and frontend written on
/// it. Returns where the DNS records' line points (the gateway's frontend).
fn draw_gateway(c: &mut Canvas, g: &super::GatewayPlan) -> (u32, u32) {
    c.rect(450, 130, 176, 70, "lb");
    c.text(460, 152, "label", "Internal load balancer");
    c.text(460, 172, "small", &g.backend_address.to_string());
    c.text(460, 190, "small", "ingress · HTTPS 443");
    c.line(436, 165, 450, 165, "link");
    let (class, frontend) = match &g.frontend {
        super::GatewayFrontend::Public { public_ip_name } => {
            ("lb public gateway", format!("public IP {public_ip_name}"))
        }
        super::GatewayFrontend::Private { address } => {
            ("lb gateway", format!("private frontend {address}"))
        }
    };
    c.rect(680, 40, 300, 76, class);
    c.text(
        692,
        58,
        "label",
        &format!("Application Gateway · {}", g.sku.as_str()),
    );
    c.text(692, 74, "small", &frontend);
    c.text(
        692,
        90,
        "small",
        &format!("subnet {} · {}", g.subnet_name, g.subnet_cidr),
    );
    c.text(
        692,
        106,
        "small",
        &format!(
            "TLS ends here · {}-{} instances",
            g.min_capacity, g.max_capacity
        ),
    );
    c.line(680, 78, 626, 150, "link");
    (830, 116)
}

/// The jumphost subnet and this console.
fn draw_jumphost(c: &mut Canvas, spec: &InstallSpec, layout: &Layout) {
    let jump_y = 76 + layout.aks_subnet_h + 14;
    c.rect(40, jump_y, 600, 110, "subnet");
    c.text(
        54,
        jump_y + 20,
        "label",
        &format!(
            "Subnet {} · {}",
            names::jumphost_subnet(spec),
            spec.cluster.network.jumphost_subnet_cidr
        ),
    );
    c.rect(56, jump_y + 34, 260, 56, "jumphost");
    c.text(68, jump_y + 56, "label", "Jumphost");
    c.text(68, jump_y + 76, "small", "katonic-console (this console)");
    c.line(186, jump_y + 34, 186, layout.cluster_bottom(), "link");
    c.text(194, jump_y + 4, "small", "API :443 (private)");
}

/// DNS names pointing at the load balancer. Returns the box's bottom edge.
fn draw_dns(c: &mut Canvas, spec: &InstallSpec, lb_anchor: (u32, u32)) -> u32 {
    let hosts: Vec<String> = names::hosts(spec)
        .iter()
        .map(|h| h.as_str().to_string())
        .collect();
    let dns_y = 124;
    let dns_h = 46 + 18 * u32::try_from(hosts.len()).unwrap_or(3);
    c.rect(680, dns_y, 300, dns_h, "dns");
    let zone = spec.domain.dns_zone.as_ref().map_or_else(
        || "records to publish".to_string(),
        |z| {
            format!(
                "{} zone {}",
                match z.kind {
                    crate::spec::DnsZoneKind::Private => "Private DNS",
                    crate::spec::DnsZoneKind::Public => "Azure DNS",
                },
                z.name.as_str()
            )
        },
    );
    c.text(692, dns_y + 20, "label", &format!("DNS · {zone}"));
    let mut y = dns_y + 40;
    for host in &hosts {
        c.text(692, y, "small", &format!("{host} → A"));
        y += 18;
    }
    c.line(
        680,
        dns_y + dns_h / 2,
        lb_anchor.0,
        lb_anchor.1,
        "link dashed",
    );
    dns_y + dns_h
}

/// The storage account, below the DNS box.
fn draw_storage(c: &mut Canvas, spec: &InstallSpec, store_y: u32) {
    let shared = spec.storage.shared_files;
    c.rect(680, store_y, 300, if shared { 118 } else { 98 }, "storage");
    c.text(692, store_y + 20, "label", "Storage account");
    c.text(
        692,
        store_y + 38,
        "small",
        &provisioned_name(spec.storage.account_name.as_ref().map(ToString::to_string)),
    );
    c.text(
        692,
        store_y + 56,
        "small",
        &format!(
            "blob: {}, {}",
            names::DATASETS_CONTAINER,
            names::BACKUPS_CONTAINER
        ),
    );
    c.text(
        692,
        store_y + 74,
        "small",
        &format!(
            "class {} (Azure disk, StandardSSD_LRS, default)",
            names::DEFAULT_STORAGE_CLASS
        ),
    );
    if shared {
        c.text(
            692,
            store_y + 92,
            "small",
            &format!(
                "share {} · class {} (Azure Files)",
                names::SHARED_FILE_SHARE,
                names::SHARED_STORAGE_CLASS
            ),
        );
    }
}

/// The registry, below the storage account; then the cluster's links to both. Returns the
/// registry's top edge.
fn draw_registry(c: &mut Canvas, spec: &InstallSpec, layout: &Layout, store_y: u32) -> u32 {
    let shared = spec.storage.shared_files;
    let reg_y = store_y + if shared { 134 } else { 114 };
    c.rect(680, reg_y, 300, 48, "registry");
    c.text(692, reg_y + 20, "label", "Container registry");
    c.text(
        692,
        reg_y + 38,
        "small",
        &format!(
            "{} · {:?} SKU",
            provisioned_name(spec.registry.name.as_ref().map(ToString::to_string)),
            spec.registry.sku
        ),
    );
    let cluster_bottom = layout.cluster_bottom();
    c.line(436, cluster_bottom - 30, 680, store_y + 30, "link");
    c.line(436, cluster_bottom - 12, 680, reg_y + 24, "link");
    reg_y
}

/// A name the admin chose, or a note that the console derives it (globally unique names get a
/// suffix from the install id).
fn provisioned_name(chosen: Option<String>) -> String {
    chosen.unwrap_or_else(|| "name derived at provisioning".to_string())
}

/// Accumulates SVG elements; text is escaped here, once.
#[derive(Default)]
struct Canvas {
    body: String,
}

impl Canvas {
    fn rect(&mut self, x: u32, y: u32, w: u32, h: u32, class: &str) {
        // Writing to a String cannot fail.
        let _ = write!(
            self.body,
            r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" class="{class}"/>"#
        );
    }

    fn text(&mut self, x: u32, y: u32, class: &str, content: &str) {
        let _ = write!(
            self.body,
            r#"<text x="{x}" y="{y}" class="{class}">{}</text>"#,
            escape(content)
        );
    }

    fn line(&mut self, x1: u32, y1: u32, x2: u32, y2: u32, class: &str) {
        let _ = write!(
            self.body,
            r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" class="{class}"/>"#
        );
    }

    fn finish(self, height: u32) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="topology" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Topology of this install">{}</svg>"#,
            self.body
        )
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::testutil::sample_spec;

    #[test]
    fn the_picture_names_this_installs_choices() {
        let spec = sample_spec();
        let svg = svg(&spec);
        for expected in [
            "VNet vnet-katonic-prod · 10.20.0.0/16",
            "Subnet snet-aks · 10.20.0.0/26",
            "Subnet snet-jumphost · 10.20.0.64/29",
            "AKS katonic-prod (private)",
            "platform (platform) · Standard_DS3_v2 · 2 nodes",
            "compute (compute) · Standard_D8s_v3 · 1–4 nodes",
            "gpu (gpu) · Standard_NC4as_T4_v3 · 0–2 nodes",
            "zones 1, 2",
            "Internal load balancer",
            "dash-katonic.example.com → A",
            "connectors-katonic.example.com → A",
            "share kfs-shared",
            "Jumphost",
        ] {
            assert!(svg.contains(expected), "{expected} missing from {svg}");
        }
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // Nothing the CSP would block.
        assert!(!svg.contains("style=") && !svg.contains("<script"));
    }

    #[test]
    fn external_mode_draws_the_public_ip_and_lean_installs_leave_out_what_they_lack() {
        let mut spec = sample_spec();
        spec.ingress.load_balancer = LbMode::External;
        spec.ingress.static_ip = None;
        spec.ingress.gateway = None;
        spec.storage.shared_files = false;
        spec.addons.superset = None;
        let svg = svg(&spec);
        assert!(svg.contains("External load balancer"));
        assert!(svg.contains("static public IP pip-katonic-prod-ingress"));
        assert!(!svg.contains("Internal load balancer"));
        assert!(!svg.contains("share kfs-shared"));
        assert!(!svg.contains("dash-katonic.example.com"));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
    }
}
