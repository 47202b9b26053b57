//! All state, in memory, one [`Tenant`] per API key.
//!
//! This folder is the only code that touches dashmap. [`Store`] finds (or
//! makes) a tenant; `tenant.rs` holds a tenant's objects, `page.rs` pages a
//! user's factors, `idempotency.rs` remembers responses by `Idempotency-Key`.
//!
//! Every method is synchronous and returns owned data, so no lock outlives a
//! call and each read-modify-write is one call, hence atomic. The store knows
//! nothing of HTTP, routes or JSON bodies: handlers translate, the store keeps.

mod idempotency;
mod page;
mod tenant;
mod tokens;

use std::sync::Arc;

use dashmap::DashMap;

use crate::signing::Signer;

pub(crate) use idempotency::Begin;
pub(crate) use page::{Order, PageRequest};
pub use tenant::Tenant;
pub(crate) use tenant::{Objects, TenantTemplate, VerifyRefusal};
pub(crate) use tokens::{Pending, Refresh};

/// Every tenant's state, keyed by API key.
#[derive(Debug)]
pub(crate) struct Store {
    tenants: DashMap<String, Arc<Tenant>>,
    template: TenantTemplate,
    /// The server-wide key access tokens are signed with.
    pub(crate) signer: Signer,
}

impl Store {
    /// An empty store whose tenants start as `template` says.
    pub(crate) fn new(template: TenantTemplate) -> Self {
        Self {
            tenants: DashMap::new(),
            signer: Signer::new(template.seed),
            template,
        }
    }

    /// The tenant for `api_key`, created empty on first use.
    pub(crate) fn tenant(&self, api_key: &str) -> Arc<Tenant> {
        if let Some(tenant) = self.tenants.get(api_key) {
            return Arc::clone(&tenant);
        }
        let entry = self
            .tenants
            .entry(api_key.to_owned())
            .or_insert_with(|| Arc::new(Tenant::new(&self.template, api_key)));
        Arc::clone(&entry)
    }

    /// Forgets the tenant for `api_key` and frees its memory; its next request
    /// starts an empty one, as new.
    pub(crate) fn reset(&self, api_key: &str) {
        self.tenants.remove(api_key);
    }

    /// Every API key with its tenant.
    pub(crate) fn tenants(&self) -> Vec<(String, Arc<Tenant>)> {
        self.tenants
            .iter()
            .map(|entry| (entry.key().clone(), Arc::clone(entry.value())))
            .collect()
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new(TenantTemplate::default())
    }
}
