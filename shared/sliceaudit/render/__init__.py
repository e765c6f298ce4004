"""Reports rendered for people and tools: SARIF for code-scanning UIs."""
