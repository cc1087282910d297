ALTER TABLE `teams` ADD `name_source` text DEFAULT 'event' NOT NULL;--> statement-breakpoint
-- Created or renamed by an admin (audit team_change): the admin's name.
UPDATE `teams` SET `name_source` = 'admin' WHERE EXISTS (
  SELECT 1 FROM `audit_log` WHERE `action` = 'team_change' AND `target` = `teams`.`id`
);--> statement-breakpoint
-- Named by its own id otherwise: named by a scope before any event carried it (`cli token create
-- --team`), a placeholder.
UPDATE `teams` SET `name_source` = 'placeholder' WHERE `name` = `id` AND `name_source` = 'event';--> statement-breakpoint
-- Such a team that events have named since takes the name of the first of them (the lowest seq), as
-- ingestion does from now on. Found through the requests projected into the team (its index).
UPDATE `teams` SET `name_source` = 'event', `name` = (
  SELECT json_extract(`e`.`body`, '$.paymentRequest.agent.team.name')
  FROM `payment_requests` `p` JOIN `events` `e` ON `e`.`request_id` = `p`.`id`
  WHERE `p`.`team_id` = `teams`.`id` AND `e`.`type` = 'payment_request.created'
    AND json_extract(`e`.`body`, '$.paymentRequest.agent.team.id') = `teams`.`id`
  ORDER BY `e`.`seq` LIMIT 1
) WHERE `name_source` = 'placeholder' AND EXISTS (
  SELECT 1 FROM `payment_requests` `p` JOIN `events` `e` ON `e`.`request_id` = `p`.`id`
  WHERE `p`.`team_id` = `teams`.`id` AND `e`.`type` = 'payment_request.created'
    AND json_extract(`e`.`body`, '$.paymentRequest.agent.team.id') = `teams`.`id`
);
