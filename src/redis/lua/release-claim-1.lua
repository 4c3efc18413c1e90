--[[
  Releases an agent's claim only if the given holder still has it.

  KEYS[1]  the agent's claim key
  ARGV[1]  holder

  Returns 1 when released, 0 when the claim was gone or held by someone else.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
