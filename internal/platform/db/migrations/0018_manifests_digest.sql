-- Finds the manifests of every repository with a digest (ballast which,
-- GET /api/v1/digests/{digest}).
CREATE INDEX manifests_digest ON manifests(digest);
