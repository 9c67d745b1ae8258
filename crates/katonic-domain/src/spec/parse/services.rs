//! `storage`, `registry` and `platform`: the shared file store, the image registry, the release.

use super::super::text::{one_of, show};
use super::super::{
    Invalid, PlatformDoc, PlatformSpec, RegistryDoc, RegistryName, RegistrySku, RegistrySpec,
    SUPPORTED_PLATFORM_VERSIONS, Scalar, StorageAccountName, StorageDoc, StorageSpec,
};
use super::ctx::{Ctx, scalar};

pub(super) fn storage(cx: &mut Ctx, doc: &StorageDoc) -> Option<StorageSpec> {
    let account_name = cx.optional(
        "storage.accountName",
        doc.account_name.as_ref(),
        StorageAccountName::parse,
    )?;
    Some(StorageSpec {
        shared_files: doc.shared_files.unwrap_or(false),
        account_name,
    })
}

pub(super) fn registry(cx: &mut Ctx, doc: &RegistryDoc) -> Option<RegistrySpec> {
    let name = cx.optional("registry.name", doc.name.as_ref(), RegistryName::parse);
    let sku = cx
        .optional("registry.sku", doc.sku.as_ref(), RegistrySku::parse)
        .map(|s| s.unwrap_or(RegistrySku::Standard));
    Some(RegistrySpec {
        name: name?,
        sku: sku?,
    })
}

pub(super) fn platform(cx: &mut Ctx, doc: &PlatformDoc) -> Option<PlatformSpec> {
    let version = match scalar(doc.version.as_ref()) {
        None => SUPPORTED_PLATFORM_VERSIONS
            .first()
            .copied()
            .unwrap_or("5.0.9")
            .to_string(),
        Some(Scalar::Text(t)) if SUPPORTED_PLATFORM_VERSIONS.contains(&t.trim()) => {
            t.trim().to_string()
        }
        Some(other) => {
            cx.fail(
                "platform.version",
                Invalid::new(
                    "platform.version",
                    format!(
                        "platform version {} is not one this console installs",
                        show(&other.as_text())
                    ),
                    format!("use {}", one_of(SUPPORTED_PLATFORM_VERSIONS)),
                ),
            );
            return None;
        }
    };
    Some(PlatformSpec { version })
}
