-- What a notification was made from (API.md §6 "Hiding"): the post, comment, question or answer whose
-- text its excerpt quotes. A notification whose source (or the source's parent item, or the post or
-- question it is about) is hidden or deleted leaves the list, the unread count, the event stream and
-- the digest; it comes back on restore. NULL for notifications that quote nothing (groups, reports)
-- and for the rows older than this step that nothing ties to one item.
ALTER TABLE notifications
  ADD COLUMN source_type VARCHAR(8) NULL,           -- 'post' | 'comment' | 'question' | 'answer'
  ADD COLUMN source_id BIGINT UNSIGNED NULL;

-- Backfill where the row tells: a mention in a post or question was made with it (its author, the same
-- second); a comment, reply or answer notification names the item its actor wrote on that page in
-- that second (the lowest id, should there be two).
UPDATE notifications SET source_type = 'post', source_id = target_id
 WHERE id > 0 AND target_type = 'post' AND kind = 'mention'
   AND EXISTS (SELECT 1 FROM posts p WHERE p.id = notifications.target_id AND p.user_id = notifications.actor_id
               AND p.created_at = notifications.created_at);
UPDATE notifications SET source_type = 'question', source_id = target_id
 WHERE id > 0 AND target_type = 'question' AND kind = 'mention'
   AND EXISTS (SELECT 1 FROM questions q WHERE q.id = notifications.target_id AND q.user_id = notifications.actor_id
               AND q.created_at = notifications.created_at);
UPDATE notifications
   SET source_type = 'comment',
       source_id = (SELECT MIN(c.id) FROM comments c WHERE c.post_id = notifications.target_id
                    AND c.user_id = notifications.actor_id AND c.created_at = notifications.created_at)
 WHERE id > 0 AND target_type = 'post' AND kind IN ('comment', 'reply', 'mention') AND source_id IS NULL
   AND EXISTS (SELECT 1 FROM comments c WHERE c.post_id = notifications.target_id
               AND c.user_id = notifications.actor_id AND c.created_at = notifications.created_at);
UPDATE notifications
   SET source_type = 'answer',
       source_id = (SELECT MIN(a.id) FROM answers a WHERE a.question_id = notifications.target_id
                    AND a.user_id = notifications.actor_id AND a.created_at = notifications.created_at)
 WHERE id > 0 AND target_type = 'question' AND kind IN ('answer', 'reply', 'mention') AND source_id IS NULL
   AND EXISTS (SELECT 1 FROM answers a WHERE a.question_id = notifications.target_id
               AND a.user_id = notifications.actor_id AND a.created_at = notifications.created_at);
