-- The link TTL each sent, send_failed and opened starts, recorded as the event is accepted. Events
-- accepted before this keep NULL: their replay falls back to the TTL settings of the moment.
ALTER TABLE `events` ADD `link_ttl_ms` integer;
