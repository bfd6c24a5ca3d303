"""What every room of the desktop shares: the views the widgets draw, the cards and customer panes the agent
and the supervisor both see, themes, UI language, preferences, logging, and the Qt lifetime rules."""
