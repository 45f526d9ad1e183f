"""Placeholder: routes are being written."""
def routes(state):
    return []
