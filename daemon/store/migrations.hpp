#pragma once
// Versioned schema migrations; migration N brings user_version from N-1 to N.
#include <array>
#include <string_view>

namespace cg::store {

inline constexpr std::array<std::string_view, 8> migrations{R"sql(
CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  properties TEXT NOT NULL DEFAULT '{}',
  crm_fields TEXT NOT NULL DEFAULT '{}',
  modified_ms INTEGER NOT NULL DEFAULT 0,
  archived INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE contacts (
  id TEXT PRIMARY KEY,
  customer_id TEXT,
  properties TEXT NOT NULL DEFAULT '{}',
  modified_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE activities (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  customer_id TEXT NOT NULL DEFAULT '',
  occurred_ms INTEGER NOT NULL,
  closed_ms INTEGER,
  properties TEXT NOT NULL DEFAULT '{}',
  modified_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX activities_customer ON activities(customer_id, occurred_ms);
CREATE TABLE texts (
  id TEXT PRIMARY KEY,
  activity_id TEXT NOT NULL,
  customer_id TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL,
  sentiment REAL,
  sentiment_model TEXT
);
CREATE INDEX texts_unscored ON texts(sentiment) WHERE sentiment IS NULL;
CREATE TABLE sync_state (
  object TEXT PRIMARY KEY,
  watermark_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE models (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  version TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  algorithm TEXT NOT NULL,
  features TEXT NOT NULL,
  metrics TEXT NOT NULL,
  blob BLOB NOT NULL,
  active INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE scores (
  customer_id TEXT NOT NULL,
  scored_ms INTEGER NOT NULL,
  model_id INTEGER NOT NULL REFERENCES models(id),
  probability REAL NOT NULL,
  score INTEGER NOT NULL,
  tier TEXT NOT NULL,
  reasons TEXT NOT NULL,
  PRIMARY KEY (customer_id, scored_ms)
);
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id TEXT NOT NULL,
  fields TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX outbox_open ON outbox(status, customer_id);
CREATE TABLE written_fields (
  customer_id TEXT PRIMARY KEY,
  fields TEXT NOT NULL,
  written_ms INTEGER NOT NULL
);
)sql",
// 2: engagement. An activity may carry a number (usage seconds; 1/0 for an opened e-mail);
// contacts keep the marketing counters HubSpot holds on them.
R"sql(
ALTER TABLE activities ADD COLUMN value REAL;
ALTER TABLE contacts ADD COLUMN email_delivered REAL;
ALTER TABLE contacts ADD COLUMN email_opened REAL;
CREATE INDEX contacts_customer ON contacts(customer_id);
ALTER TABLE scores ADD COLUMN sentiment REAL;
ALTER TABLE scores ADD COLUMN engagement REAL;
)sql",
// 3: activities join their text by activity id; without this a per-customer read scans every text.
R"sql(
CREATE INDEX texts_activity ON texts(activity_id);
CREATE INDEX activities_kind_time ON activities(kind, occurred_ms);
)sql",
// 4: the model registry keeps how to use a model (standardisation, calibration) and what is known
// of it (training window, candidates, validation and test metrics, curves, drift baseline); the
// latest population stability of each feature against the active model's training data.
R"sql(
ALTER TABLE models ADD COLUMN transform TEXT NOT NULL DEFAULT '{}';
ALTER TABLE models ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
CREATE TABLE drift (
  model_id INTEGER NOT NULL REFERENCES models(id),
  source TEXT NOT NULL,
  psi REAL NOT NULL,
  computed_ms INTEGER NOT NULL,
  PRIMARY KEY (model_id, source)
);
)sql",
// 5: retention plays. An assignment is one enrolment of a customer in a play, with its arm
// (decided once, by a salted hash) and, when its outcome window ends, whether the customer
// churned. Actions (CRM task, webhook) are recorded so each happens once.
R"sql(
CREATE TABLE play_assignments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  play_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  arm TEXT NOT NULL CHECK (arm IN ('treatment', 'holdout')),
  assigned_ms INTEGER NOT NULL,
  ends_ms INTEGER NOT NULL,
  score INTEGER NOT NULL,
  offer_value REAL NOT NULL DEFAULT 0,
  outcome TEXT CHECK (outcome IN ('churned', 'retained')),
  outcome_ms INTEGER
);
CREATE INDEX play_assignments_customer ON play_assignments(customer_id, assigned_ms);
CREATE INDEX play_assignments_play ON play_assignments(play_id, assigned_ms);
CREATE TABLE play_actions (
  assignment_id INTEGER NOT NULL REFERENCES play_assignments(id),
  action TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
  detail TEXT NOT NULL DEFAULT '',
  done_ms INTEGER NOT NULL,
  PRIMARY KEY (assignment_id, action)
);
)sql",
// 6: passes over the whole book read in pages: pending writes by id, and the open enrolments.
R"sql(
CREATE INDEX outbox_pending ON outbox(id) WHERE status = 'pending';
CREATE INDEX play_assignments_open ON play_assignments(ends_ms) WHERE outcome IS NULL;
)sql",
// 7: who owns each customer's record in the CRM, so that a play's task goes to that person.
R"sql(
ALTER TABLE customers ADD COLUMN owner_id TEXT NOT NULL DEFAULT '';
)sql",
// 8: the CRM users who own records, so that the dashboard names the person and plays know who left.
R"sql(
CREATE TABLE owners (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  active INTEGER NOT NULL CHECK (active IN (0, 1)),
  refreshed_ms INTEGER NOT NULL
);
)sql"};

}  // namespace cg::store
