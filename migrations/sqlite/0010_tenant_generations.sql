-- A counter per tenant that every committed write of the tenant's state raises (in the write's own
-- transaction, see store::Tx::commit): cached list and show responses are valid for one generation.
-- No foreign key to domains: the upsert must not take a share lock on the tenant's row, which
-- registrations hold FOR UPDATE.
CREATE TABLE tenant_generations (
    domain_id TEXT PRIMARY KEY,
    generation BIGINT NOT NULL
);
