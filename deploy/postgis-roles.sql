-- Least privilege for a PostGIS store: run ONCE, as a superuser, in the dashboard's database:
--
--   sudo -u postgres psql -d fengtai -v ON_ERROR_STOP=1 -f deploy/postgis-roles.sql
--   sudo -u postgres psql -d fengtai -c '\password fengtai_writer'
--   sudo -u postgres psql -d fengtai -c '\password fengtai_reader'
--
-- Then (passwords from the environment or an 0600 file, never in the repository):
--   builds     python -m loaders build --store postgresql://fengtai_writer:…@host/fengtai
--   dashboard  DASHBOARD_STORE=postgresql://fengtai_reader:…@host/fengtai
--
-- fengtai_writer  owns the layers and tables every build replaces (CREATE in schema public).
-- fengtai_reader  may read them (SELECT, granted automatically on every table the writer
--                 creates, so a nightly build needs no new grants) and may only APPEND to
--                 the audit log (INSERT + SELECT; UPDATE, DELETE and TRUNCATE are refused
--                 by triggers even to its owner).
-- The script is idempotent: running it again changes nothing. Role names are fixed here;
-- tests/postgis.py runs this very file (tests/loaders/test_store_roles.py).

CREATE EXTENSION IF NOT EXISTS postgis;

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fengtai_writer') THEN
    CREATE ROLE fengtai_writer LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fengtai_reader') THEN
    CREATE ROLE fengtai_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO fengtai_writer, fengtai_reader', current_database());
END $$;

-- PostgreSQL 15 grants no CREATE on schema public to PUBLIC: only the writer creates tables.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO fengtai_writer;
GRANT USAGE ON SCHEMA public TO fengtai_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE fengtai_writer IN SCHEMA public GRANT SELECT ON TABLES TO fengtai_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO fengtai_reader;

-- The audit log (dashboard/audit.py declares the same table; a test compares them). Owned by
-- the writer, outside every build's reach (a build replaces only the tables it writes).
CREATE TABLE IF NOT EXISTS audit_log (
  id            SERIAL PRIMARY KEY,
  at            TIMESTAMP WITH TIME ZONE NOT NULL,
  "user"        TEXT NOT NULL,
  role          TEXT,
  event         TEXT NOT NULL,
  subject       TEXT,
  page          TEXT,
  layer         TEXT,
  filters       TEXT,
  format        TEXT,
  crs           TEXT,
  rows          INTEGER,
  personal_data TEXT,
  detail        TEXT,
  client        TEXT
);
ALTER TABLE audit_log OWNER TO fengtai_writer;
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'audit_log_no_change') THEN
    CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'audit_log_no_truncate') THEN
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
  END IF;
END $$;
GRANT SELECT, INSERT ON audit_log TO fengtai_reader;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO fengtai_reader;
