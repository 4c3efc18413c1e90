--[[
  Extends an agent's claim while the same holder has it (an accepted call keeps its agent).

  KEYS[1]  the agent's claim key
  ARGV[1]  holder
  ARGV[2]  new time-to-live in milliseconds

  Returns 1 when extended, 0 when the claim was gone or held by someone else.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
