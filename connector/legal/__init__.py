"""Dutch/EU collection law and the business-day calendar. Pure: nothing here reads the clock."""
