"""The rep log on disk: one SQLite database, and the only place in the station that speaks SQL.

Sets and reps, history, settings versions, staff accounts and sessions, the error log, kept sets' rows,
the MQTT outbox mark, snapshots for backups and the swap a restore makes."""
