"""Example editions; atu-2027/contest.yaml is what `contest demo` copies (package data, in the wheel too)."""
