"""Delivery: the dispatcher (claim, gate, deliver, mark), channels (email, letter) and rendering."""
