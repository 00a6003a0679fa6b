-- The marketers' pages count each send's opens, clicks and replies: the events that name it in
-- properties.sendId, of its lead and of a type. Without an index each send read every event of its
-- lead (seconds per page at a million events); this one holds only the events that name a send,
-- and answers the lookup of one send, or a walk over all of them, without reading the rest.
CREATE INDEX events_send_idx ON events ((properties->>'sendId'), lead_id, type) WHERE (properties->>'sendId') IS NOT NULL;
