//! All state, in memory, one [`Tenant`] per API key.
//!
//! This folder is the only code that touches dashmap. [`Store`] finds (or
//! makes) a tenant; `tenant.rs` holds a tenant's objects, `page.rs` pages a
//! user's factors, `idempotency.rs` remembers responses by `Idempotency-Key`.

mod idempotency;
mod page;
mod tenant;

use std::sync::Arc;

use dashmap::DashMap;

pub use idempotency::{Begin, Idempotency};
pub use page::{Order, Page, PageRequest};
pub use tenant::{KEEP_SPENT_SECONDS, Objects, Tenant, TenantTemplate, VerifyRefusal};

/// Every tenant's state, keyed by API key.
#[derive(Debug)]
pub struct Store {
    tenants: DashMap<String, Arc<Tenant>>,
    template: TenantTemplate,
}

impl Store {
    /// An empty store whose tenants start as `template` says.
    pub fn new(template: TenantTemplate) -> Self {
        Self {
            tenants: DashMap::new(),
            template,
        }
    }

    /// The tenant for `api_key`, created empty on first use.
    pub fn tenant(&self, api_key: &str) -> Arc<Tenant> {
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
    pub fn reset(&self, api_key: &str) {
        self.tenants.remove(api_key);
    }

    /// Every API key with its tenant.
    pub fn tenants(&self) -> Vec<(String, Arc<Tenant>)> {
        self.tenants
            .iter()
            .map(|entry| (entry.key().clone(), Arc::clone(entry.value())))
            .collect()
    }

    /// How many API keys have state.
    pub fn tenant_count(&self) -> usize {
        self.tenants.len()
    }
}

impl Default for Store {
    fn default() -> Self {
        Self::new(TenantTemplate::default())
    }
}
