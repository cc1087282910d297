-- Kept scheduled-report files on PostgreSQL (app/write/report-file-store.server.ts): in the database,
-- so a file written by the instance that ran the schedule downloads through any other. A file is
-- its chunks of up to 1 MB in part order; report_files.path is postgres:report_file_chunks/<id>.
-- Not in db/schema.pg.ts: only that module reads it, and on SQLite the files stay on disk.
CREATE TABLE "report_file_chunks" (
	"file_id" text NOT NULL,
	"part" integer NOT NULL,
	"bytes" bytea NOT NULL,
	CONSTRAINT "report_file_chunks_pk" PRIMARY KEY("file_id","part")
);
