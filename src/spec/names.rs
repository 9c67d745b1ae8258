//! Names and identifiers with Azure's rules: GUIDs, regions, resource groups, AKS cluster and
//! pool names, storage account and registry names, and the install's own name.

use super::Invalid;

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

impl InstallName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        todo!("{input}")
    }
}
impl Guid {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        todo!("{input}")
    }
}
impl Region {
    /// Accepts the programmatic name or the display name (`East US` becomes `eastus`).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        todo!("{input}")
    }
}
impl ResourceGroupName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        todo!("{input}")
    }
}
impl ClusterName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        todo!("{input}")
    }
}
impl PoolName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        todo!("{input}")
    }
}
impl StorageAccountName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        todo!("{input}")
    }
}
impl RegistryName {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        todo!("{input}")
    }
}
