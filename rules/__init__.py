"""The county rulebook as data (YAML); see README.md here. Packaged with the code."""
