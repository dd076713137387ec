"""Out-of-province labor bases (省外劳务基地), labor-cooperation regions and arriving cohorts."""
