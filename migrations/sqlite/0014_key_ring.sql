-- The key ring (crates/secrets/src/keyring.rs): the data keys that seal secrets at rest and sign
-- tokens, each wrapped (AES-256-GCM) under the configured master key, so that a rotation needs no
-- change to any replica's configuration. Key 0 is the master key itself (wrapped is empty); no rows
-- at all means the master key alone, as before the ring existed. The live key with the highest id is
-- the active one. A retired key keeps its row (retired_at set) with its key material erased.
CREATE TABLE data_keys (
    id          BIGINT PRIMARY KEY,
    wrapped     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);
