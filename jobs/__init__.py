"""The scheduled jobs: what runs with nobody clicking (jobs/registry.py lists them). The engine
that runs them is adapters/job_queue.py; each job is a thin call of an operation in resolvers/."""
