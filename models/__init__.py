"""The shipped policytag model, installed as ``policytag.shipped`` (data only; see README.md here)."""
