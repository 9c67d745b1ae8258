//! Names and identifiers with Azure's rules: GUIDs, regions, resource groups, AKS cluster and
//! pool names, storage account and registry names, and the install's own name.

use super::Invalid;
use super::catalog;
use super::text::{closest, show};

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_newtype!(
    /// The install's own name: 1-32 characters, lowercase letters, digits and `-`, starting with a
    /// letter, not ending with `-`. Used to derive resource names.
    InstallName
);
string_newtype!(
    /// A GUID in canonical lowercase `8-4-4-4-12` form; the nil GUID is refused.
    Guid
);
string_newtype!(
    /// An Azure region's programmatic name (`eastus`), known to the catalogue.
    Region
);
string_newtype!(
    /// Resource group: 1-90 characters of letters, digits, `_`, `-`, `.`, `(`, `)`; not ending in `.`.
    ResourceGroupName
);
string_newtype!(
    /// AKS cluster name: 1-63 characters of letters, digits, `_`, `-`, alphanumeric at both ends.
    ClusterName
);
string_newtype!(
    /// AKS Linux agent pool name: 1-12 lowercase letters and digits, starting with a letter.
    PoolName
);
string_newtype!(
    /// Storage account name: 3-24 lowercase letters and digits.
    StorageAccountName
);
string_newtype!(
    /// Container registry name: 5-50 letters and digits.
    RegistryName
);

/// Checks shared by the name types: what the characters may be and how long the name is.
struct NameRule {
    rule: &'static str,
    /// `the AKS cluster name`
    what: &'static str,
    min: usize,
    max: usize,
    allowed: fn(char) -> bool,
    /// `lowercase letters and digits`
    allowed_text: &'static str,
    /// A valid example for the fix.
    example: &'static str,
}

impl NameRule {
    fn check(&self, input: &str) -> Result<(), Invalid> {
        if input.is_empty() {
            return Err(Invalid::new(
                "required",
                format!("{} is empty", self.what),
                format!("give {}, e.g. `{}`", self.what, self.example),
            ));
        }
        if let Some(bad) = input.chars().find(|c| !(self.allowed)(*c)) {
            return Err(self.invalid(
                format!(
                    "{} {} contains {}",
                    self.what,
                    show(input),
                    show(&bad.to_string())
                ),
                input,
                input,
            ));
        }
        let len = input.chars().count();
        if len < self.min || len > self.max {
            return Err(self.invalid(
                format!(
                    "{} {} is {len} characters long; it must have {}-{}",
                    self.what,
                    show(input),
                    self.min,
                    self.max
                ),
                input,
                input,
            ));
        }
        Ok(())
    }

    /// A refusal whose fix suggests `source` cleaned of refused characters, when that is valid.
    fn invalid(&self, message: String, input: &str, source: &str) -> Invalid {
        let cleaned: String = source
            .chars()
            .flat_map(char::to_lowercase)
            .filter(|c| (self.allowed)(*c))
            .take(self.max)
            .collect();
        let fix = if cleaned.chars().count() >= self.min && cleaned != input {
            format!(
                "use {}, {}-{} characters, e.g. `{cleaned}`",
                self.allowed_text, self.min, self.max
            )
        } else {
            format!(
                "use {}, {}-{} characters, e.g. `{}`",
                self.allowed_text, self.min, self.max, self.example
            )
        };
        Invalid::new(self.rule, message, fix)
    }

    fn edges(&self, input: &str, ok: fn(char) -> bool, edge_text: &str) -> Result<(), Invalid> {
        let first_ok = input.chars().next().is_some_and(ok);
        let last_ok = input.chars().last().is_some_and(ok);
        if first_ok && last_ok {
            return Ok(());
        }
        Err(self.invalid(
            format!("{} {} must {edge_text}", self.what, show(input)),
            input,
            input.trim_matches(|c: char| !ok(c)),
        ))
    }
}

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

impl InstallName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let rule = NameRule {
            rule: "name.format",
            what: "the install name",
            min: 1,
            max: 32,
            allowed: |c| is_lower_alnum(c) || c == '-',
            allowed_text: "lowercase letters, digits and `-`",
            example: "katonic",
        };
        rule.check(input)?;
        let starts = input.starts_with(|c: char| c.is_ascii_lowercase());
        if !starts || input.ends_with('-') {
            return Err(rule.invalid(
                format!(
                    "the install name {} must start with a letter and not end with `-`",
                    show(input)
                ),
                input,
                input
                    .trim_start_matches(|c: char| !c.is_ascii_alphabetic())
                    .trim_end_matches('-'),
            ));
        }
        Ok(Self(input.to_string()))
    }
}

impl Guid {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        if input.is_empty() {
            return Err(Invalid::new(
                "required",
                "the GUID is empty",
                "give it in its 36-character form (`az account show` prints the subscription and tenant ids)",
            ));
        }
        // Registry exports and PowerShell print GUIDs in braces.
        let bare = input
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .unwrap_or(input);
        let well_formed = bare.len() == 36
            && bare.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        if !well_formed {
            return Err(Invalid::new(
                "guid.format",
                format!(
                    "{} is not a GUID (8-4-4-4-12 hexadecimal digits)",
                    show(input)
                ),
                "copy the id from `az account show` (id and tenantId), e.g. `0f8fad5b-d9cb-469f-a165-70867728950e`",
            ));
        }
        if bare.bytes().all(|b| b == b'0' || b == b'-') {
            return Err(Invalid::new(
                "guid.nil",
                format!("{} is the nil GUID, a placeholder", show(input)),
                "give the real id from `az account show` (id and tenantId)",
            ));
        }
        Ok(Self(bare.to_ascii_lowercase()))
    }
}

impl Region {
    /// Accepts the programmatic name or the display name (`East US` becomes `eastus`).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        if input.trim().is_empty() {
            return Err(Invalid::new(
                "required",
                "the Azure region is empty",
                "give a region's programmatic name, e.g. `eastus`",
            ));
        }
        let name = catalog::normalize_region(input);
        if let Some(region) = catalog::region(&name) {
            return Ok(Self(region.name.clone()));
        }
        let near = closest(
            &name,
            catalog::regions().iter().map(|r| r.name.as_str()),
            3,
            3,
        );
        let fix = if near.is_empty() {
            "use a programmatic region name as `az account list-locations -o table` shows it, e.g. `eastus`"
                .to_string()
        } else {
            let quoted: Vec<String> = near.iter().map(|n| format!("`{n}`")).collect();
            format!("did you mean {}?", quoted.join(", "))
        };
        Err(Invalid::new(
            "region.unknown",
            format!("{} is not an Azure region this console knows", show(input)),
            fix,
        ))
    }

    /// The catalogue's facts about the region (always present: the parser only accepts known ones).
    pub fn info(&self) -> Option<&'static catalog::RegionInfo> {
        catalog::region(&self.0)
    }

    /// Availability zones the region has (0: none).
    pub fn zone_count(&self) -> u8 {
        self.info().map_or(0, |r| r.zones)
    }
}

string_newtype!(
    /// A VNet or subnet name: letters, digits, `_`, `.` and `-`, starting with a letter or digit,
    /// ending with a letter, digit or `_` (2-64 characters for a VNet, 1-80 for a subnet).
    NetworkName
);

impl NetworkName {
    /// A virtual network's name.
    pub fn vnet(input: &str) -> Result<Self, Invalid> {
        Self::check(input, "the VNet name", 2, 64, "vnet-corp")
    }

    /// A subnet's name.
    pub fn subnet(input: &str) -> Result<Self, Invalid> {
        Self::check(input, "the subnet name", 1, 80, "snet-aks")
    }

    fn check(
        input: &str,
        what: &'static str,
        min: usize,
        max: usize,
        example: &'static str,
    ) -> Result<Self, Invalid> {
        NameRule {
            rule: "network.name",
            what,
            min,
            max,
            allowed: |c| c.is_ascii_alphanumeric() || "_.-".contains(c),
            allowed_text: "letters, digits, `_`, `.` and `-`",
            example,
        }
        .check(input)?;
        let starts = input
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let ends = input
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !starts || !ends {
            return Err(Invalid::new(
                "network.name",
                format!(
                    "{what} {} must start with a letter or digit and end with a letter, digit or `_`",
                    show(input)
                ),
                format!("e.g. `{example}`"),
            ));
        }
        Ok(Self(input.to_string()))
    }
}

impl ResourceGroupName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        NameRule {
            rule: "resource-group.name",
            what: "the resource group name",
            min: 1,
            max: 90,
            allowed: |c| c.is_ascii_alphanumeric() || "_-.()".contains(c),
            allowed_text: "letters, digits, `_`, `-`, `.`, `(` and `)`",
            example: "rg-katonic",
        }
        .check(input)?;
        if input.ends_with('.') {
            return Err(Invalid::new(
                "resource-group.name",
                format!("the resource group name {} ends with `.`", show(input)),
                format!("write `{}`", input.trim_end_matches('.')),
            ));
        }
        Ok(Self(input.to_string()))
    }
}

impl ClusterName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let rule = NameRule {
            rule: "cluster.name",
            what: "the AKS cluster name",
            min: 1,
            max: 63,
            allowed: |c| c.is_ascii_alphanumeric() || c == '_' || c == '-',
            allowed_text: "letters, digits, `_` and `-`",
            example: "katonic-aks",
        };
        rule.check(input)?;
        rule.edges(
            input,
            |c| c.is_ascii_alphanumeric(),
            "start and end with a letter or digit",
        )?;
        Ok(Self(input.to_string()))
    }
}

impl PoolName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let rule = NameRule {
            rule: "pool.name",
            what: "the node pool name",
            min: 1,
            max: 12,
            allowed: is_lower_alnum,
            allowed_text: "lowercase letters and digits (AKS Linux pools)",
            example: "compute",
        };
        rule.check(input)?;
        if !input.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(rule.invalid(
                format!(
                    "the node pool name {} must start with a letter",
                    show(input)
                ),
                input,
                input.trim_start_matches(|c: char| c.is_ascii_digit()),
            ));
        }
        Ok(Self(input.to_string()))
    }
}

impl StorageAccountName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        NameRule {
            rule: "storage.account-name",
            what: "the storage account name",
            min: 3,
            max: 24,
            allowed: is_lower_alnum,
            allowed_text: "lowercase letters and digits (globally unique)",
            example: "katonicprodfiles",
        }
        .check(input)?;
        Ok(Self(input.to_string()))
    }
}

impl RegistryName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        NameRule {
            rule: "registry.name",
            what: "the container registry name",
            min: 5,
            max: 50,
            allowed: |c| c.is_ascii_alphanumeric(),
            allowed_text: "letters and digits (globally unique)",
            example: "katonicprodacr",
        }
        .check(input)?;
        Ok(Self(input.to_string()))
    }
}

#[cfg(test)]
mod tests;
