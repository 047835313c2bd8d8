-- healthzk service storage. Commitments, ciphertext ids, anchors, challenges, nullifiers and
-- job outcomes only: no record value, holder secret or patient identifier is ever stored.

CREATE TABLE issuers (
    id          TEXT PRIMARY KEY,          -- short random id, e.g. "iss_3f9a…"
    name        TEXT NOT NULL,
    country     TEXT,                      -- ISO 3166-1 alpha-2 default for immunizations
    address     TEXT NOT NULL,             -- chain account (key file in the data dir)
    token_hash  TEXT NOT NULL UNIQUE,      -- SHA-256 of the issuer's bearer token
    created_at  INTEGER NOT NULL
);

CREATE TABLE leaves (
    issuer      TEXT NOT NULL REFERENCES issuers(id),
    idx         INTEGER NOT NULL,
    commitment  TEXT NOT NULL,             -- 0x field element
    blob_id     TEXT NOT NULL,             -- SHA-256 of the encrypted holder package
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (issuer, idx)
);
CREATE UNIQUE INDEX leaves_by_commitment ON leaves(commitment);

CREATE TABLE anchors (
    issuer          TEXT NOT NULL REFERENCES issuers(id),
    root            TEXT NOT NULL,
    leaf_count      INTEGER NOT NULL,
    revocation_root TEXT NOT NULL,
    anchored_at     INTEGER NOT NULL,      -- block timestamp
    PRIMARY KEY (issuer, root)
);

CREATE TABLE revocations (
    issuer      TEXT NOT NULL REFERENCES issuers(id),
    nonce       INTEGER NOT NULL,
    revoked_at  INTEGER NOT NULL,
    PRIMARY KEY (issuer, nonce)
);

CREATE TABLE challenges (
    challenge        TEXT PRIMARY KEY,     -- 0x field element
    policy_hash      TEXT NOT NULL,
    statement        TEXT NOT NULL,
    scope            TEXT NOT NULL,
    one_per_holder   INTEGER NOT NULL,     -- record nullifiers: one acceptance per holder and scope
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER
);

CREATE TABLE nullifiers (
    scope        TEXT NOT NULL,
    nullifier    TEXT NOT NULL,
    accepted_at  INTEGER NOT NULL,
    PRIMARY KEY (scope, nullifier)
);

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    statement   TEXT NOT NULL,
    status      TEXT NOT NULL,             -- queued | running | done | failed
    created_at  INTEGER NOT NULL,
    finished_at INTEGER,
    result      TEXT,                      -- the presentation (public by design)
    error       TEXT
);

CREATE TABLE models (
    hash        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,             -- the model JSON
    created_at  INTEGER NOT NULL
);

CREATE TABLE policies (
    hash        TEXT PRIMARY KEY,
    body        TEXT NOT NULL,             -- the policy JSON
    created_at  INTEGER NOT NULL
);
