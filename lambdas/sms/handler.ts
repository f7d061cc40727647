import { senderHandler } from "../shared/sender-handler.js";

export const handler = senderHandler("sms");
