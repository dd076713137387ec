"""HR service agencies (人力资源服务机构): rosters, brokered placements, scorecards."""
