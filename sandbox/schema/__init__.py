"""GitHub's public GraphQL schema (SDL), vendored for the sandbox; see PROVENANCE.md."""
