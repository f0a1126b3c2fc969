-- Ended deliveries are pruned by age (retention rules in services/distribution/__init__.py).
CREATE INDEX deliveries_created_brin ON deliveries USING brin (created_at);
