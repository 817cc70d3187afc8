"""Test kit for code that calls Run:ai: a fake token server and a pytest plugin."""
