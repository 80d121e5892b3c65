"""The rulebook: utility, the government table, the business forum, decision rules, protocols, outcomes."""
