"""HTTP routes of each function: parse and authorize the request, call one service, return a view."""
