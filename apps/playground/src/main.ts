/** Entry of the playground page. */
import './style.css';
import { startPlayground } from './app';

startPlayground(document).catch((error) => {
  console.error(error);
});
