-- A delivery round takes an endpoint's first due queue heads in queue order. Walked in
-- position order the scan stops after the batch; by the due index it read and sorted
-- every due row of the endpoint each round (a drain of 800 changes per venue went at
-- 1,042 deliveries/s against 2,674/s for 200 — bench/PROFILE.md, issue 18).
CREATE INDEX deliveries_queue ON deliveries (endpoint_id, position) WHERE status = 'pending';
