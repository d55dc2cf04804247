"""Sanctioning: who is accountable for a finding, which form the ladder gives, and why."""
