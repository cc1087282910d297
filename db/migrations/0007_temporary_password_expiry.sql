ALTER TABLE `users` ADD `temporary_password_expires_at` integer;--> statement-breakpoint
-- People already on a temporary password: 72 hours from when an admin issued it (the latest invite
-- or reset in the audit log), else from now. 259200000 ms = 72 h.
UPDATE `users` SET `temporary_password_expires_at` = 259200000 + coalesce(
  (SELECT max(`at`) FROM `audit_log` WHERE `action` IN ('user_invite', 'password_reset') AND `target` = `users`.`id`),
  CAST(strftime('%s', 'now') AS INTEGER) * 1000
) WHERE `must_change_password` = 1;
