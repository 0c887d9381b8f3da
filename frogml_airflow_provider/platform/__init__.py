"""The platforms automations run on: one interface, a local embedded one and JFrog ML."""
