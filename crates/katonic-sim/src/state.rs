//! The simulator's persistent state (`state.json`): account, issued tokens and principals,
//! provider registrations, resources and operations; written atomically after each change.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SimError;
use super::arm::lro::Operation;

const STATE_VERSION: u32 = 1;

/// Write `bytes` to `path` through a temporary file and a rename, so a crash never leaves a
/// half-written file. `private` files are created mode 0600.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<(), SimError> {
    // A temporary file of its own per write: two saves at once sharing one name interleave
    // (each truncates, then writes at its own offset), leaving a file with another's tail.
    let tmp = path.with_extension(format!("tmp.{}", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(&tmp).map_err(|e| SimError::io(&tmp, e))?;
    file.write_all(bytes).map_err(|e| SimError::io(&tmp, e))?;
    file.sync_all().map_err(|e| SimError::io(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| SimError::io(path, e))
}

/// The tenant, subscription and principals of the simulated account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Account {
    pub tenant_id: String,
    pub subscription_id: String,
    pub subscription_name: String,
    /// The console's service principal (client credentials).
    pub client_id: String,
    pub client_secret: String,
    pub sp_object_id: String,
    /// The jumphost's managed identity (App Service flavour endpoint).
    pub mi_client_id: String,
    pub mi_object_id: String,
    pub mi_header: String,
    /// More subscriptions the same principals may use (rehearsals in the admin's own one).
    #[serde(default)]
    pub other_subscriptions: Vec<String>,
}

impl Account {
    /// Whether `id` is one of the account's subscriptions (case-insensitive, as in Azure).
    pub fn has_subscription(&self, id: &str) -> bool {
        self.subscription_id.eq_ignore_ascii_case(id)
            || self
                .other_subscriptions
                .iter()
                .any(|s| s.eq_ignore_ascii_case(id))
    }
}

impl Account {
    fn generate(client_secret: Option<&str>) -> Self {
        let generated = format!(
            "sim~{}",
            Uuid::new_v4()
                .simple()
                .to_string()
                .get(..30)
                .unwrap_or_default()
        );
        let secret = client_secret.map_or(generated, str::to_string);
        Self {
            tenant_id: Uuid::new_v4().to_string(),
            subscription_id: Uuid::new_v4().to_string(),
            subscription_name: "Katonic simulated subscription".into(),
            client_id: Uuid::new_v4().to_string(),
            client_secret: secret,
            sp_object_id: Uuid::new_v4().to_string(),
            mi_client_id: Uuid::new_v4().to_string(),
            mi_object_id: Uuid::new_v4().to_string(),
            mi_header: Uuid::new_v4().simple().to_string(),
            other_subscriptions: Vec::new(),
        }
    }
}

/// A token the simulator issued. Only its random signature part is kept to compare.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IssuedToken {
    pub signature: String,
    pub object_id: String,
    pub audience: String,
    pub expires: i64,
}

/// A directory object the simulator created (role assignments accept only these).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Principal {
    pub kind: String,
    pub display_name: String,
}

/// Registration of a resource provider namespace.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProviderReg {
    pub namespace: String,
    /// `NotRegistered`, `Registering` or `Registered`.
    pub state: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub registered_at: Option<OffsetDateTime>,
}

/// A stored resource: its GET representation plus what the simulator needs to decide.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Resource {
    /// Canonical casing from the first PUT.
    pub id: String,
    /// Canonical type, e.g. `Microsoft.Network/virtualNetworks`.
    pub kind: String,
    /// The representation GET returns (dynamic parts are added when rendering).
    pub body: Value,
    /// The last accepted PUT body, to tell an identical re-PUT from an update.
    #[serde(default)]
    pub request: Value,
    /// The operation in flight on this resource, if any.
    #[serde(default)]
    pub op: Option<String>,
    /// Simulator-only data (account keys, kubeconfig certificates).
    #[serde(default)]
    pub private: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct State {
    pub version: u32,
    pub account: Account,
    #[serde(default)]
    pub tokens: BTreeMap<String, IssuedToken>,
    #[serde(default)]
    pub principals: BTreeMap<String, Principal>,
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderReg>,
    /// Keyed by the lower-cased resource id.
    #[serde(default)]
    pub resources: BTreeMap<String, Resource>,
    #[serde(default)]
    pub operations: BTreeMap<String, Operation>,
    /// AKS Run Command results by command id (`resources::aks::run_command`).
    #[serde(default)]
    pub command_results: BTreeMap<String, Value>,
    /// Subscription features whose state differs from the catalogue's, keyed by the
    /// lower-cased `namespace/name` (`resources::features`).
    #[serde(default)]
    pub features: BTreeMap<String, ProviderReg>,
}

impl State {
    fn new(catalog: &super::catalog::Catalog, client_secret: Option<&str>) -> Self {
        let account = Account::generate(client_secret);
        let mut principals = BTreeMap::new();
        principals.insert(
            account.sp_object_id.clone(),
            Principal {
                kind: "ServicePrincipal".into(),
                display_name: "katonic-console".into(),
            },
        );
        principals.insert(
            account.mi_object_id.clone(),
            Principal {
                kind: "ServicePrincipal".into(),
                display_name: "jumphost managed identity".into(),
            },
        );
        let mut providers = BTreeMap::new();
        for (list, state) in [
            (&catalog.providers.registered, "Registered"),
            (&catalog.providers.not_registered, "NotRegistered"),
        ] {
            for ns in list {
                providers.insert(
                    ns.to_ascii_lowercase(),
                    ProviderReg {
                        namespace: ns.clone(),
                        state: state.into(),
                        registered_at: None,
                    },
                );
            }
        }
        Self {
            version: STATE_VERSION,
            account,
            tokens: BTreeMap::new(),
            principals,
            providers,
            resources: BTreeMap::new(),
            operations: BTreeMap::new(),
            command_results: BTreeMap::new(),
            features: BTreeMap::new(),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Resource> {
        self.resources.get(&id.to_ascii_lowercase())
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Resource> {
        self.resources.get_mut(&id.to_ascii_lowercase())
    }

    pub fn insert(&mut self, resource: Resource) {
        self.resources
            .insert(resource.id.to_ascii_lowercase(), resource);
    }

    /// Remove a resource and everything nested under its id.
    pub fn remove_tree(&mut self, id: &str) -> Vec<Resource> {
        let key = id.to_ascii_lowercase();
        let prefix = format!("{key}/");
        let keys: Vec<String> = self
            .resources
            .keys()
            .filter(|k| **k == key || k.starts_with(&prefix))
            .cloned()
            .collect();
        keys.iter()
            .filter_map(|k| self.resources.remove(k))
            .collect()
    }

    /// Resources whose id lies strictly under `id`.
    pub fn children(&self, id: &str) -> impl Iterator<Item = &Resource> {
        let prefix = format!("{}/", id.to_ascii_lowercase());
        self.resources
            .iter()
            .filter(move |(k, _)| k.starts_with(&prefix))
            .map(|(_, r)| r)
    }

    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.resources
            .values()
            .filter(move |r| r.kind.eq_ignore_ascii_case(kind))
    }

    /// Register a new directory principal (identity, kubelet identity) and return its object id.
    pub fn new_principal(&mut self, kind: &str, display_name: &str) -> String {
        let id = Uuid::new_v4().to_string();
        self.principals.insert(
            id.clone(),
            Principal {
                kind: kind.into(),
                display_name: display_name.into(),
            },
        );
        id
    }
}

/// Where the state lives and how it is saved.
pub(crate) struct Store {
    path: PathBuf,
}

impl Store {
    pub fn open(
        dir: &Path,
        catalog: &super::catalog::Catalog,
        client_secret: Option<&str>,
    ) -> Result<(Self, State), SimError> {
        let path = dir.join("state.json");
        let state = if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|e| SimError::io(&path, e))?;
            let state: State = serde_json::from_str(&text).map_err(|e| SimError::Invalid {
                what: "state",
                path: path.clone(),
                message: e.to_string(),
            })?;
            if state.version != STATE_VERSION {
                return Err(SimError::Invalid {
                    what: "state",
                    path,
                    message: format!("unsupported state version {}", state.version),
                });
            }
            state
        } else {
            let state = State::new(catalog, client_secret);
            let store = Self { path: path.clone() };
            store.save(&state)?;
            state
        };
        Ok((Self { path }, state))
    }

    pub fn save(&self, state: &State) -> Result<(), SimError> {
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| SimError::Invalid {
            what: "state",
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        // Private: it holds the simulated client secret and issued token signatures.
        write_atomic(&self.path, &bytes, true)
    }
}
