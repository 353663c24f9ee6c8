"""Two app nodes on a PostgreSQL primary, a hot standby and Redis (make test-cluster)."""
